"""Importers: read a file with gis/, validate, write everything in one transaction."""
