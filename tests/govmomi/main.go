// A client of vlcmsim's /sdk built on govmomi, the library govc is made of, doing
// what govc's inventory commands do: about, ls, find -type h, host.info.
//
//	go build -o govmomi-client ./tests/govmomi   (GOPATH mode, Debian's golang-github-vmware-govmomi-dev)
//	govmomi-client URL about|ls PATH|find-hosts|host-info PATH
package main

import (
	"context"
	"fmt"
	"net/url"
	"os"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
)

func main() {
	if len(os.Args) < 3 {
		fail("usage: govmomi-client URL about|ls PATH|find-hosts|host-info PATH")
	}
	ctx := context.Background()
	u, err := url.Parse(os.Args[1])
	if err != nil {
		fail(err.Error())
	}
	c, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		fail("login: " + err.Error())
	}
	defer c.Logout(ctx)
	switch os.Args[2] {
	case "about":
		a := c.ServiceContent.About
		fmt.Printf("FullName: %s\nVersion: %s\nBuild: %s\nAPI type: %s\nAPI version: %s\n", a.FullName, a.Version, a.Build, a.ApiType, a.ApiVersion)
	case "ls":
		f := find.NewFinder(c.Client, true)
		elements, err := f.ManagedObjectListChildren(ctx, os.Args[3])
		if err != nil {
			fail(err.Error())
		}
		for _, e := range elements {
			fmt.Println(e.Path)
		}
	case "find-hosts":
		m := view.NewManager(c.Client)
		v, err := m.CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"HostSystem"}, true)
		if err != nil {
			fail(err.Error())
		}
		var hosts []mo.HostSystem
		if err := v.Retrieve(ctx, []string{"HostSystem"}, []string{"name", "summary"}, &hosts); err != nil {
			fail(err.Error())
		}
		for _, h := range hosts {
			fmt.Println(h.Self.Value, h.Name, h.Summary.Config.Product.Version)
		}
		_ = v.Destroy(ctx)
	case "host-info":
		f := find.NewFinder(c.Client, true)
		h, err := f.HostSystem(ctx, os.Args[3])
		if err != nil {
			fail(err.Error())
		}
		var mh mo.HostSystem
		if err := property.DefaultCollector(c.Client).RetrieveOne(ctx, h.Reference(), []string{"summary"}, &mh); err != nil {
			fail(err.Error())
		}
		s := mh.Summary
		fmt.Printf("Name: %s\nPath: %s\nManufacturer: VMware\nVersion: %s\nBuild: %s\nState: %s\nPower state: %s\n",
			s.Config.Name, h.InventoryPath, s.Config.Product.Version, s.Config.Product.Build,
			s.Runtime.ConnectionState, s.Runtime.PowerState)
	default:
		fail("unknown command " + os.Args[2])
	}
}

func fail(text string) {
	fmt.Fprintln(os.Stderr, text)
	os.Exit(1)
}
