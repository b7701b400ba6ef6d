"""The filing spreadsheets: hostile-file guard, column readers, the import, the export and the template."""
