terraform {
  # 1.9+: variable validations may refer to other variables (see variables.tf).
  required_version = ">= 1.9"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.14, < 8"
    }
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.4, < 3"
    }
  }
}

# No credentials here: the deployer's Application Default Credentials are used.
provider "google" {
  project = var.project_id
  region  = var.region
}
