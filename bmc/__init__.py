"""Everything that answers as a BMC: the IPMI command set, its state, watchdog and channel drivers.

Submodules are imported where they are used; ``bmc.ipmi`` (the shared IPMI
vocabulary) is the only part the host side imports.
"""
