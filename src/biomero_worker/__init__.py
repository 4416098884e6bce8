"""The BIOMERO worker at run time: everything that runs inside the worker image
besides the general layered-config engine (``config_merge``).

Modules, one job each:
  layout          every runtime path, the config layer order, the rule for a
                  deployer's BIOMERO_SLURM_CONFIG_FILE (the one owner; all ask it)
  runtime_config  merge the layers into the file biomero reads; status; explain
  omero_config    CONFIG_* variables -> OMERO's configuration
  node            the grid node's configuration files (master, name, endpoints)
  analytics_db    biomero's analytics database: settings, wait, schema
  script_env      what a script launched by the Processor sees (ProcessI hook)
  biomero_contract  what biomero itself reads and accepts (asked of biomero)
  doctor          one line per readiness check
  cluster_tools   the programs biomero runs on the Slurm login node (doctor's probe)
  health          the image's HEALTHCHECK (cheap: config, node, registry session)
  wrapping        our code after a library's method (the hook's one way to extend)
  cli             ``python -m biomero_worker <command>`` (start-up scripts, admins)

Nothing is imported here: the script hook's ``.pth`` imports this package in every
Python process of the image, so importing it must cost nothing.
"""
