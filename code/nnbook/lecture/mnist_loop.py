"""The lecture's MNIST data, its training loop and its test loop (mnist_mynet)."""

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets
from torchvision.transforms import ToTensor


def mnist_loaders(root="data", batch_size=10):
    # ToTensor: each PIL image of grey levels 0-255 becomes a (1, 28, 28)
    # float tensor in [0, 1]
    train_set = datasets.MNIST(root, train=True, download=True,
                               transform=ToTensor())
    test_set = datasets.MNIST(root, train=False, download=True,
                              transform=ToTensor())
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=batch_size)
    return train_loader, test_loader


device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")


def train_mnist(model, train_loader, epochs=10):
    optimizer = torch.optim.Adam(model.parameters(), lr=0.00001)
    losses = []
    for epoch in range(epochs):
        for i, (img, label) in enumerate(train_loader):
            optimizer.zero_grad()  # IMPORTANT!
            img, label = img.to(device), label.to(device)
            output = model(img)
            loss = F.cross_entropy(output, label)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


def test_mnist(model, test_loader):
    correct = 0
    with torch.no_grad():  # no need for gradients
        for img, label in test_loader:
            img, label = img.to(device), label.to(device)
            output = F.softmax(model(img), dim=1)
            pred = output.argmax(dim=1, keepdim=True)  # the likeliest class
            correct += pred.eq(label.view_as(pred)).sum().item()
    return correct / len(test_loader.dataset)
