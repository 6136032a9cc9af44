"""The spec's field tables of every implemented command, one module per network function.

``bmc.ipmi.layout`` is the API (``layout``, ``decode``); these modules are data.
"""
