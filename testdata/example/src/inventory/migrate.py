"""Apply the SQL migrations in a directory, once each, in name order:
python -m inventory.migrate DIR"""

import os
import sqlite3
import sys


def main(directory):
    state = os.environ.get("INVENTORY_STATE", "/var/lib/inventory")
    with sqlite3.connect(os.path.join(state, "inventory.db")) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY)")
        done = {row[0] for row in conn.execute("SELECT name FROM migrations")}
        for name in sorted(os.listdir(directory)):
            if name.endswith(".sql") and name not in done:
                with open(os.path.join(directory, name), encoding="utf-8") as f:
                    conn.executescript(f.read())
                conn.execute("INSERT INTO migrations VALUES (?)", (name,))
                print("inventory: applied migration", name)


if __name__ == "__main__":
    main(sys.argv[1])
