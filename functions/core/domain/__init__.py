"""The domain: plain Python that knows the district's rules.

Nothing in this package imports boto3, PynamoDB or Chalice; adapters sit beside it.
"""
