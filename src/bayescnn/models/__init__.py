"""bayescnn.models"""
