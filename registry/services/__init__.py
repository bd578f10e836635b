"""The registry's rules: every write and every rule lives here, once.

Views, viewsets, admin and management commands adapt input, call one of these functions and
render what it returns.
"""
