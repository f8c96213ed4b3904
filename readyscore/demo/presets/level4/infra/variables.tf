variable "environment" {
  type    = string
  default = "production"
}

variable "primary_region" {
  type    = string
  default = "eu-west-1"
}

variable "secondary_region" {
  type    = string
  default = "eu-central-1"
}

variable "primary_cluster_name" {
  type    = string
  default = "tealeaf-euw1"
}

variable "secondary_cluster_name" {
  type    = string
  default = "tealeaf-euc1"
}

variable "primary_alb_arn" {
  type        = string
  description = "ALB created by the ingress controller in the primary region"
}

variable "secondary_alb_arn" {
  type        = string
  description = "ALB created by the ingress controller in the secondary region"
}

variable "db_subnet_ids_primary" {
  type = list(string)
}

variable "db_subnet_ids_secondary" {
  type = list(string)
}

variable "node_subnet_ids_primary" {
  type = list(string)
}

variable "node_subnet_ids_secondary" {
  type = list(string)
}

variable "node_role_arn" {
  type = string
}
