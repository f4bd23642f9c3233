"""FSC certificates and their verification by program staff."""
