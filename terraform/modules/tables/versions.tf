# No provider on purpose: `terraform init` and `terraform apply` work offline on this module, so
# tests evaluate it for real and compare its outputs with the JSON tables it reads.
terraform {
  required_version = ">= 1.9"
}
