"""Whistle (吹哨): the Lambda functions and the code they share."""
