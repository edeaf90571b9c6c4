"""bayescnn.compat"""
