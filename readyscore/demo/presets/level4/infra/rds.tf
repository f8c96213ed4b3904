# PostgreSQL: multi-AZ in the primary region, encrypted, with backups and a cross-region replica.
resource "aws_kms_key" "db_primary" {
  provider                = aws.primary
  description             = "tealeaf database (primary)"
  enable_key_rotation     = true
  deletion_window_in_days = 30
}

resource "aws_kms_key" "db_secondary" {
  provider                = aws.secondary
  description             = "tealeaf database (replica)"
  enable_key_rotation     = true
  deletion_window_in_days = 30
}

resource "aws_db_subnet_group" "primary" {
  provider   = aws.primary
  name       = "tealeaf"
  subnet_ids = var.db_subnet_ids_primary
}

resource "aws_db_subnet_group" "secondary" {
  provider   = aws.secondary
  name       = "tealeaf"
  subnet_ids = var.db_subnet_ids_secondary
}

resource "aws_db_instance" "primary" {
  provider                            = aws.primary
  identifier                          = "tealeaf"
  engine                              = "postgres"
  engine_version                      = "16.3"
  instance_class                      = "db.r6g.large"
  allocated_storage                   = 100
  max_allocated_storage               = 500
  storage_type                        = "gp3"
  storage_encrypted                   = true
  kms_key_id                          = aws_kms_key.db_primary.arn
  multi_az                            = true
  db_subnet_group_name                = aws_db_subnet_group.primary.name
  username                            = "tealeaf"
  manage_master_user_password         = true
  iam_database_authentication_enabled = true
  backup_retention_period             = 35
  backup_window                       = "02:00-03:00"
  maintenance_window                  = "sun:03:30-sun:04:30"
  copy_tags_to_snapshot               = true
  deletion_protection                 = true
  skip_final_snapshot                 = false
  final_snapshot_identifier           = "tealeaf-final"
  performance_insights_enabled        = true
  auto_minor_version_upgrade          = true
  enabled_cloudwatch_logs_exports     = ["postgresql"]
}

resource "aws_db_instance" "replica" {
  provider                = aws.secondary
  identifier              = "tealeaf-replica"
  replicate_source_db     = aws_db_instance.primary.arn
  instance_class          = "db.r6g.large"
  storage_encrypted       = true
  kms_key_id              = aws_kms_key.db_secondary.arn
  multi_az                = true
  db_subnet_group_name    = aws_db_subnet_group.secondary.name
  backup_retention_period = 7
  deletion_protection     = true
  skip_final_snapshot     = true
}
