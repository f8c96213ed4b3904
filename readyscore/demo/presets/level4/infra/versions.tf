terraform {
  required_version = ">= 1.6.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.55"
    }
  }
  backend "s3" {
    bucket         = "example-tealeaf-terraform-state"
    key            = "tealeaf-gateway/terraform.tfstate"
    region         = "eu-west-1"
    dynamodb_table = "example-tealeaf-terraform-locks"
    encrypt        = true
  }
}

# Two regions: eu-west-1 serves, eu-central-1 is the warm standby (Route 53 fails over to it).
provider "aws" {
  alias  = "primary"
  region = var.primary_region
  default_tags { tags = local.tags }
}

provider "aws" {
  alias  = "secondary"
  region = var.secondary_region
  default_tags { tags = local.tags }
}

# Shield Advanced and CloudFront-scoped WAF live in us-east-1.
provider "aws" {
  alias  = "global"
  region = "us-east-1"
  default_tags { tags = local.tags }
}

locals {
  tags = {
    service     = "tealeaf-gateway"
    owner       = "team-tealeaf"
    environment = var.environment
    data_class  = "confidential"
  }
}
