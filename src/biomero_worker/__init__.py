"""The BIOMERO worker at run time: everything that runs inside the worker image
besides the general layered-config engine (``config_merge``).

Modules, one job each (the index: the README points here, a test checks it
names every module of the package):
  layout          every runtime path, the config layer order, the rule for a
                  deployer's BIOMERO_SLURM_CONFIG_FILE (the one owner; all ask it)
  startup         the container's preparation in one process: the image's steps
                  (STEPS) and a site's own from /startup, in one order
  startup_log     the start-up's one log helper (prefix, level; stderr only)
  identity        which uid runs the worker; passwd entry; writable directories
  ssh_mount       the SSH mount copied into ~/.ssh: the modes, the unreadable message
  runtime_config  merge the layers into the file biomero reads; status; explain
  webadmin        the web admin's file: the admin's edits, not the page's copies
  omero_config    CONFIG_* variables -> OMERO's configuration
  node            the grid node's configuration files (master, name, endpoints);
                  start-node, the image's CMD
  analytics_db    biomero's analytics database: settings, wait, schema
  env_settings    numbers and levels from the environment, checked
  file_env        VAR_FILE for the variables that carry secrets
  script_env      what a script launched by the Processor sees (ProcessI hook)
  script_env_hook the .pth hook that wraps omero-py and fabric as they are imported
  script_output   every script's stdout and stderr, also in var/log/scripts.log
  omero_cli       omero-py's CLI in the worker: ``admin diagnostics``, upgrade check off
  ssh_host_keys   biomero's SSH connections check a mounted known_hosts
  log_forward     the worker's log files, also in ``docker logs``
  biomero_contract  what biomero itself reads and accepts (asked of biomero)
  detached        biomero 2.9's detached workflows: refused (no supervisor here)
  doctor          one line per readiness check
  cluster_tools   the programs biomero runs on the Slurm login node (doctor's probe)
  health          the image's HEALTHCHECK (cheap: config, node, registry session)
  wrapping        our code after a library's method (the hook's one way to extend)
  image_build     what the image build runs once, as root (layout, baked config)
  sbom            the image's CycloneDX SBOM, written at build time
  cli             ``python -m biomero_worker <command>`` (the entrypoint, admins)

Nothing is imported here: the script hook's ``.pth`` imports this package in every
Python process of the image, so importing it must cost nothing.
"""
