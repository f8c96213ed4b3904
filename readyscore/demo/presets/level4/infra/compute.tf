# Worker nodes in both regions scale with load (cluster-autoscaler reads these bounds); the pods
# themselves scale with the HPA in deploy/k8s/hpa.yaml.
resource "aws_eks_node_group" "primary" {
  provider        = aws.primary
  cluster_name    = var.primary_cluster_name
  node_group_name = "tealeaf-gateway"
  node_role_arn   = var.node_role_arn
  subnet_ids      = var.node_subnet_ids_primary
  instance_types  = ["m7g.large"]
  ami_type        = "AL2023_ARM_64_STANDARD"

  scaling_config {
    min_size     = 3
    desired_size = 3
    max_size     = 12
  }

  update_config {
    max_unavailable = 1
  }

  labels = { workload = "tealeaf-gateway" }
}

resource "aws_eks_node_group" "secondary" {
  provider        = aws.secondary
  cluster_name    = var.secondary_cluster_name
  node_group_name = "tealeaf-gateway"
  node_role_arn   = var.node_role_arn
  subnet_ids      = var.node_subnet_ids_secondary
  instance_types  = ["m7g.large"]
  ami_type        = "AL2023_ARM_64_STANDARD"

  scaling_config {
    min_size     = 2
    desired_size = 2
    max_size     = 12
  }

  update_config {
    max_unavailable = 1
  }

  labels = { workload = "tealeaf-gateway" }
}

# DNS fails over to the secondary region when the primary's health check fails.
data "aws_route53_zone" "main" {
  provider = aws.global
  name     = "example.com."
}

data "aws_lb" "primary" {
  provider = aws.primary
  arn      = var.primary_alb_arn
}

data "aws_lb" "secondary" {
  provider = aws.secondary
  arn      = var.secondary_alb_arn
}

resource "aws_route53_health_check" "primary" {
  provider          = aws.global
  fqdn              = data.aws_lb.primary.dns_name
  port              = 443
  type              = "HTTPS"
  resource_path     = "/readyz"
  failure_threshold = 3
  request_interval  = 10
}

resource "aws_route53_record" "primary" {
  provider        = aws.global
  zone_id         = data.aws_route53_zone.main.zone_id
  name            = "api.example.com"
  type            = "A"
  set_identifier  = "primary"
  health_check_id = aws_route53_health_check.primary.id
  failover_routing_policy {
    type = "PRIMARY"
  }
  alias {
    name                   = data.aws_lb.primary.dns_name
    zone_id                = data.aws_lb.primary.zone_id
    evaluate_target_health = true
  }
}

resource "aws_route53_record" "secondary" {
  provider       = aws.global
  zone_id        = data.aws_route53_zone.main.zone_id
  name           = "api.example.com"
  type           = "A"
  set_identifier = "secondary"
  failover_routing_policy {
    type = "SECONDARY"
  }
  alias {
    name                   = data.aws_lb.secondary.dns_name
    zone_id                = data.aws_lb.secondary.zone_id
    evaluate_target_health = true
  }
}
