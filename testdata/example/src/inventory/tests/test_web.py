# Excluded from the package by app.exclude.
def test_nothing():
    pass
