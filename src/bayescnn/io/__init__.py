"""bayescnn.io"""
