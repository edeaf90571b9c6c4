"""bayescnn.train"""
