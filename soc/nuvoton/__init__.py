"""Nuvoton NPCM7xx: the BMC SoC parts the IPMI firmware drives."""
