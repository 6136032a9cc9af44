import os

# Unexpected exceptions inside command handlers fail the test instead of
# becoming completion code 0xFF.
os.environ.setdefault("IPMILAB_RAISE_UNEXPECTED", "1")
