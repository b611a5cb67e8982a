#!/usr/bin/env bash
# Back pepflow's database up into a dated file, and remove backups older than the days kept.
#   PEPFLOW_BACKUP_DIR   where backups go (default /var/backups/pepflow)
#   PEPFLOW_BACKUP_DAYS  how many days of backups to keep (default 14)
# The database is PEPFLOW_DATABASE_URL, as for every pepflow command. The history key is not in
# the backup: keep a copy of it apart (docs/deployment.md, "Backups").
set -euo pipefail
umask 077  # backups hold every child's record: readable by their owner only
folder="${PEPFLOW_BACKUP_DIR:-/var/backups/pepflow}"
days="${PEPFLOW_BACKUP_DAYS:-14}"
case "$days" in ''|*[!0-9]*) echo "PEPFLOW_BACKUP_DAYS = '$days': must be a whole number of days" >&2; exit 1;; esac
mkdir -p -m 700 "$folder"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
pepflow db backup "$folder/pepflow-$stamp.backup"
find "$folder" -maxdepth 1 -name 'pepflow-*.backup*' -type f -mtime +"$days" -delete
