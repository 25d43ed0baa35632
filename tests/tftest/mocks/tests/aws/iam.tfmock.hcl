mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::000000000000:role/from-file"
  }
}
