module cdk-private-eks/real-clients

go 1.19
