"""bayescnn.cli"""
