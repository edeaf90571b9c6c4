"""bayescnn.metrics"""
