"""成果申报: declarations of filed groups and teams, their files, printed forms and the units' documents."""
