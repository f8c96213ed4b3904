# WAF in front of both regional load balancers: AWS managed rules plus a per-IP rate limit, and
# Shield Advanced on the load balancers for DDoS protection.
resource "aws_wafv2_web_acl" "primary" {
  provider = aws.primary
  name     = "tealeaf-gateway"
  scope    = "REGIONAL"

  default_action {
    allow {}
  }

  rule {
    name     = "aws-common"
    priority = 10
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesCommonRuleSet"
        rule_action_override {
          name = "SizeRestrictions_BODY"
          action_to_use {
            count {}
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "aws-common"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-known-bad-inputs"
    priority = 20
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "aws-known-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "rate-per-ip"
    priority = 30
    action {
      block {}
    }
    statement {
      rate_based_statement {
        limit              = 2000
        aggregate_key_type = "IP"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "rate-per-ip"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "tealeaf-gateway"
    sampled_requests_enabled   = true
  }
}

resource "aws_wafv2_web_acl_association" "primary" {
  provider     = aws.primary
  resource_arn = var.primary_alb_arn
  web_acl_arn  = aws_wafv2_web_acl.primary.arn
}

resource "aws_wafv2_web_acl" "secondary" {
  provider = aws.secondary
  name     = "tealeaf-gateway"
  scope    = "REGIONAL"

  default_action {
    allow {}
  }

  rule {
    name     = "aws-common"
    priority = 10
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesCommonRuleSet"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "aws-common"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "rate-per-ip"
    priority = 30
    action {
      block {}
    }
    statement {
      rate_based_statement {
        limit              = 2000
        aggregate_key_type = "IP"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "rate-per-ip"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "tealeaf-gateway"
    sampled_requests_enabled   = true
  }
}

resource "aws_wafv2_web_acl_association" "secondary" {
  provider     = aws.secondary
  resource_arn = var.secondary_alb_arn
  web_acl_arn  = aws_wafv2_web_acl.secondary.arn
}

resource "aws_shield_protection" "primary_alb" {
  provider     = aws.primary
  name         = "tealeaf-gateway-euw1"
  resource_arn = var.primary_alb_arn
}

resource "aws_shield_protection" "secondary_alb" {
  provider     = aws.secondary
  name         = "tealeaf-gateway-euc1"
  resource_arn = var.secondary_alb_arn
}
