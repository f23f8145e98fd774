"""sealing"""
