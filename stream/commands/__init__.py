"""One module per ``supplyrisk`` subcommand (see :mod:`stream.cli`)."""
