"""BMC-chip and interface hardware: register blocks, vendor wrappers, interrupt controller, CPU time."""
