package main

import (
	"flag"
	"fmt"

	"branchspec/experiments"
)

var cmdData = &command{
	Name:  "data",
	Usage: "get cifar10 [--dir DIR] [--images]",
	Short: "fetch a dataset (CIFAR-10) and check its published checksum",
	Long: `Data get cifar10 downloads the original binary CIFAR-10
(` + experiments.CIFAR10URL + `), checks its published MD5
(` + experiments.CIFAR10MD5 + `) and extracts it into DIR/cifar-10-batches-bin,
the data.path of source "cifar10" (the cifar10 preset reads data/cifar-10-batches-bin).
--images also writes it as an image folder of lossless PNG files,
DIR/cifar10-png/{train,test}/CLASS/NNNNN.png, for source "folder":
branchspec run cifar10-alexnet --data DIR/cifar10-png.

Without a connection: fetch the file on a machine that has one, copy it to
DIR/cifar-10-binary.tar.gz and run this again; it is checked the same way.
What is already there is kept. Fashion-MNIST is the Debian package
dataset-fashion-mnist (apt-get install dataset-fashion-mnist).`,
	Flags: func(fs *flag.FlagSet) func(*env, []string) error {
		var o experiments.GetOptions
		fs.StringVar(&o.Dir, "dir", "data", "directory the dataset goes in")
		fs.BoolVar(&o.Images, "images", false, "also write it as an image folder of PNG files")
		return func(e *env, args []string) error {
			if len(args) != 2 || args[0] != "get" {
				return usagef("want: get cifar10")
			}
			o.Progress = e.stderr
			paths, err := experiments.GetData(e.ctx, args[1], o)
			if err != nil {
				return err
			}
			for _, p := range paths {
				fmt.Fprintf(e.stdout, "data.path: %s\n", p)
			}
			return nil
		}
	},
}
