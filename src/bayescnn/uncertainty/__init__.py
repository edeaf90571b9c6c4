"""bayescnn.uncertainty"""
