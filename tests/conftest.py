pytest_plugins = ["tests.virtuoso"]
