// admin: behaviours of this area (CSP forbids inline scripts).
