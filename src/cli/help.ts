// Help texts, kept apart from the parsing so they read as the user sees them.

export const mainHelp = `Usage: logship COMMAND [OPTIONS]

Tails log files, parses them into one event schema and ships them with
at-least-once delivery.

Commands:
  run        run the shipper (the daemon)
  validate   check a config file and print every problem in it
  parse      parse log lines from a file or stdin and print events as NDJSON

Options:
  -h, --help     show this help, or a command's help: logship COMMAND --help
      --version  print the version

The config file is --config FILE, else $LOGSHIP_CONFIG, else ./logship.yaml.
Exit codes: 0 ok, 1 bad config or input, 2 usage error.
`;

export const runHelp = `Usage: logship run [--config FILE]

Runs the shipper until SIGTERM or SIGINT, then drains and exits 0.

Options:
  -c, --config FILE  config file (default: $LOGSHIP_CONFIG, else ./logship.yaml)
  -h, --help         show this help
`;

export const validateHelp = `Usage: logship validate [--config FILE]

Checks a config file against the schema, with environment variables
substituted, and prints every problem by its path in the file:

  outputs[0].object.max_bytes: expected a size like 5MiB, got "5 potatoes" (line 12)

Exits 0 when the config is valid, 1 when it is not.

Options:
  -c, --config FILE  config file (default: $LOGSHIP_CONFIG, else ./logship.yaml)
  -h, --help         show this help
`;

export const parseHelp = `Usage: logship parse --format NAME [--multiline PRESET | --multiline-start REGEX]
                     [--timezone TZ] [FILE|-]

Reads raw log lines from FILE (or stdin) and prints normalised events as NDJSON
on stdout; ships nothing. Not implemented yet.

Options:
  --format NAME            json, logfmt, regex, syslog, nginx, apache, cri, docker,
                           klog, plain, or auto (guess per line)
  --multiline PRESET       join multi-line events with a named preset (e.g. java)
  --multiline-start REGEX  a line matching REGEX starts a new event
  --timezone TZ            zone for timestamps that carry none
  -h, --help               show this help
`;
