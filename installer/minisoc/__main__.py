from minisoc.cli.main import run

run()
