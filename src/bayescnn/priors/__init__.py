"""bayescnn.priors"""
