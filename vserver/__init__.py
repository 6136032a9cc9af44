"""The host: CPU port I/O, Linux-faithful IPMI drivers, the message handler."""
