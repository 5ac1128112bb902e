"""Test doubles: the scripted OpenAI-compatible server and the outbound-network guard."""
