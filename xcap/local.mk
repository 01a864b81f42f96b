# xcap/: rules for this module (owned by the module's maintainer).
