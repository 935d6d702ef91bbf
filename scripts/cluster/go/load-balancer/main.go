// The cluster's LoadBalancer, as Docker Desktop's: every TCP port of a Service of type
// LoadBalancer is published on 127.0.0.1 at that port, forwarded to the Service's cluster IP
// (which kube-proxy balances over its ready pods), and the Service's status names `localhost`.
// No well-kept component does exactly this without a registry to pull its images from
// (cloud-provider-kind runs an Envoy container per Service), so it is this small controller,
// built on client-go's informer like any other.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
)

// published is one Service port listening on the host.
type published struct {
	listener net.Listener
	target   string
}

type controller struct {
	client  kubernetes.Interface
	address string
	mu      sync.Mutex
	// "namespace/name/port" → its listener.
	ports map[string]*published
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the controller's user")
	address := flag.String("address", "127.0.0.1", "host address the Services' ports are published on")
	flag.Parse()

	config, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		klog.Fatalf("reading %s: %v", *kubeconfig, err)
	}
	client := kubernetes.NewForConfigOrDie(config)
	c := &controller{client: client, address: *address, ports: map[string]*published{}}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()

	factory := informers.NewSharedInformerFactory(client, 10*time.Minute)
	services := factory.Core().V1().Services().Informer()
	if _, err := services.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.sync(ctx, obj.(*corev1.Service)) },
		UpdateFunc: func(_, obj any) { c.sync(ctx, obj.(*corev1.Service)) },
		DeleteFunc: func(obj any) {
			if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tombstone.Obj
			}
			if service, ok := obj.(*corev1.Service); ok {
				c.unpublish(service.Namespace+"/"+service.Name+"/", nil)
			}
		},
	}); err != nil {
		klog.Fatalf("watching Services: %v", err)
	}
	factory.Start(ctx.Done())
	klog.Infof("publishing LoadBalancer Services on %s", *address)
	<-ctx.Done()
	c.unpublish("", nil)
}

// sync makes the host listeners match one Service: one per TCP port while it is a
// LoadBalancer with a cluster IP, none otherwise.
func (c *controller) sync(ctx context.Context, service *corev1.Service) {
	prefix := service.Namespace + "/" + service.Name + "/"
	wanted := map[string]string{}
	if service.Spec.Type == corev1.ServiceTypeLoadBalancer && service.Spec.ClusterIP != "" && service.Spec.ClusterIP != corev1.ClusterIPNone {
		for _, port := range service.Spec.Ports {
			if port.Protocol == corev1.ProtocolTCP {
				wanted[prefix+strconv.Itoa(int(port.Port))] = net.JoinHostPort(service.Spec.ClusterIP, strconv.Itoa(int(port.Port)))
			}
		}
	}
	c.unpublish(prefix, wanted)
	if len(wanted) == 0 {
		return
	}
	failed := false
	for key, target := range wanted {
		if err := c.publish(key, target); err != nil {
			klog.Errorf("%s: %v", key, err)
			c.event(ctx, service, err)
			failed = true
		}
	}
	// An address only once every port answers there: `pulumi up` and clients wait until then.
	if !failed {
		c.setStatus(ctx, service)
	}
}

// publish listens on the host for one Service port, unless it already does for that target.
func (c *controller) publish(key, target string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if current, ok := c.ports[key]; ok && current.target == target {
		return nil
	}
	_, port, _ := net.SplitHostPort(target)
	listener, err := net.Listen("tcp", net.JoinHostPort(c.address, port))
	if err != nil {
		return fmt.Errorf("cannot publish port %s on %s: %w", port, c.address, err)
	}
	c.ports[key] = &published{listener: listener, target: target}
	klog.Infof("%s: %s → %s", key, listener.Addr(), target)
	go serve(listener, target)
	return nil
}

// unpublish closes the listeners under prefix that are not wanted (all of them for nil).
func (c *controller) unpublish(prefix string, wanted map[string]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, current := range c.ports {
		if len(key) < len(prefix) || key[:len(prefix)] != prefix {
			continue
		}
		if target, keep := wanted[key]; keep && target == current.target {
			continue
		}
		_ = current.listener.Close()
		delete(c.ports, key)
		klog.Infof("%s: unpublished", key)
	}
}

// serve forwards each connection to the Service's cluster IP until the listener closes.
func serve(listener net.Listener, target string) {
	for {
		client, err := listener.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				klog.Errorf("accepting on %s: %v", listener.Addr(), err)
			}
			return
		}
		go forward(client, target)
	}
}

func forward(client net.Conn, target string) {
	defer client.Close()
	backend, err := net.DialTimeout("tcp", target, 5*time.Second)
	if err != nil {
		klog.Errorf("connecting to %s: %v", target, err)
		return
	}
	defer backend.Close()
	done := make(chan struct{}, 2)
	pipe := func(to, from net.Conn) {
		_, _ = io.Copy(to, from)
		// Pass the half-close on, so a client's end of request reaches the backend.
		if tcp, ok := to.(*net.TCPConn); ok {
			_ = tcp.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(backend, client)
	go pipe(client, backend)
	<-done
	<-done
}

// setStatus names `localhost` as the Service's load balancer, as Docker Desktop does.
func (c *controller) setStatus(ctx context.Context, service *corev1.Service) {
	ingress := service.Status.LoadBalancer.Ingress
	if len(ingress) == 1 && ingress[0].Hostname == "localhost" && ingress[0].IP == "" {
		return
	}
	patch := []byte(`{"status":{"loadBalancer":{"ingress":[{"hostname":"localhost"}]}}}`)
	_, err := c.client.CoreV1().Services(service.Namespace).Patch(ctx, service.Name, types.MergePatchType, patch, metav1.PatchOptions{}, "status")
	if err != nil {
		klog.Errorf("%s/%s: setting its status: %v", service.Namespace, service.Name, err)
	}
}

// event tells the Service's owner, in `kubectl describe`, why it has no address.
func (c *controller) event(ctx context.Context, service *corev1.Service, cause error) {
	now := metav1.NewTime(time.Now())
	event := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{GenerateName: service.Name + "-", Namespace: service.Namespace},
		InvolvedObject: corev1.ObjectReference{Kind: "Service", Namespace: service.Namespace, Name: service.Name, UID: service.UID, APIVersion: "v1"},
		Reason:         "PublishFailed",
		Message:        cause.Error(),
		Type:           corev1.EventTypeWarning,
		Source:         corev1.EventSource{Component: "books-gateway-load-balancer"},
		FirstTimestamp: now,
		LastTimestamp:  now,
		Count:          1,
	}
	if _, err := c.client.CoreV1().Events(service.Namespace).Create(ctx, event, metav1.CreateOptions{}); err != nil {
		klog.Errorf("%s/%s: recording the event: %v", service.Namespace, service.Name, err)
	}
}
