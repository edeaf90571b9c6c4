"""bayescnn.nn"""
