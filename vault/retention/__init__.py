"""Retention and disposal: policies, holds, disposal (plan, execute, verify, purges) and its
certificate.
"""
