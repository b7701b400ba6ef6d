// invite: behaviours of this area (CSP forbids inline scripts).
