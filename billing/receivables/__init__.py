"""receivables"""
