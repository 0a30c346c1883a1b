/** The `--help` text: every subcommand with one line, then the options of each. */
export function usage(version: string): string {
  return `wildfire-edge ${version} — Raspberry Pi wildfire sentinel (cameras → fire/smoke detector → consensus → pump)

Usage:
  wildfire-edge run --config FILE [--log-format auto|json|pretty]
                                         run the configured roles (camera, consensus, pump) until SIGTERM/SIGINT
                                           --log-format     auto (default, log.format): human lines on a terminal,
                                                            JSON with journald priorities under systemd, else JSON
  wildfire-edge check-config FILE        validate a config file: prints OK or every problem (exit 0 / 1)
  wildfire-edge demo [--print-config] [--yes-on-a-pi] [--exit-on-valve] [--max-seconds N]
                                         built-in demo: embedded broker, demo footage, mock GPIO (what \`npm start\` runs)
                                           --print-config   print the demo's config and exit
                                           --yes-on-a-pi    run the demo on a Raspberry Pi anyway (mock GPIO only)
                                           --exit-on-valve  exit 0 as soon as the demo pump opens its main valve
                                           --max-seconds N  stop after N seconds (exit 1 if the valve never opened)
  wildfire-edge discover [--config FILE] [--interface NAME]... [--seconds N] [--json]
                                         find ONVIF (WS-Discovery) and mDNS cameras; prints a table and a ready
                                         \`cameras:\` snippet (exit 0 found / 1 none). Credentials: the config's
                                         discovery.credentials or ONVIF_USERNAME / ONVIF_PASSWORD
  wildfire-edge eval ...                 evaluate the detector on a labelled image set (see \`wildfire-edge eval --help\`)
  wildfire-edge config-docs [--write README.md]
                                         print (or update in README.md) the configuration reference
  wildfire-edge config-schema [--write FILE]
                                         print (or write) the config's JSON Schema, for editors
  wildfire-edge --version                print the version
  wildfire-edge --help                   this text (also \`wildfire-edge <command> --help\`)

Environment overrides: MQTT_URL, MQTT_USERNAME, MQTT_PASSWORD, NODE_ID, LOG_LEVEL, WFE_ROLES, HTTP_HOST, HTTP_PORT,
ONVIF_USERNAME, ONVIF_PASSWORD.
No mqtt.url means an embedded broker on 127.0.0.1. A node with the pump role needs pump.driver set.
Docs: README.md (configuration reference, MQTT topics, installing on a Pi).`;
}
