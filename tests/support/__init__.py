"""Set-up shared by the tests: helpers that are not tests themselves."""
