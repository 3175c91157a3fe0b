"""(being written)"""

CLAIMS: list = []
