"""HTTP traffic: API request records and client sessions."""
